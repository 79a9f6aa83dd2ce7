import { connection } from 'next/server'

export default async function Broken() {
  await connection()
  throw new Error('Database unavailable while rendering /broken')
}
