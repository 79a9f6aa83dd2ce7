// The fleet drill's app without the kit: what a service often does on its own. Every route answers 200 after a
// little work (readiness included: it never fails), and SIGTERM closes the server and exits once it has closed.
import { createServer } from 'node:http'

const server = createServer((request, response) => {
  if (request.url?.endsWith('/ready')) {
    response.end('ok')
    return
  }
  setTimeout(() => response.end('hello'), 20)
})
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
