import express4 from 'express4'
import { describeExpressAdapter } from './express-suite.js'

describeExpressAdapter('Express 4', { express: express4, ownRouter: true, moduleName: 'express4' })
