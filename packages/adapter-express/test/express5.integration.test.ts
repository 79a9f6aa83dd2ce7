import express from 'express'
import { describeExpressAdapter } from './express-suite.js'

describeExpressAdapter('Express 5', { express, ownRouter: false, moduleName: 'express' })
