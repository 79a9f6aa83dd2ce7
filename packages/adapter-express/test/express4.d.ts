// Express 4 is installed under an npm alias; its API is the one @types/express describes closely enough here.
declare module 'express4' {
  import express from 'express'
  export default express
}
