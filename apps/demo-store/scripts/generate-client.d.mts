/** Generates the Prisma client when the schema or the Prisma version changed. */
export function generateClient(): 'generated' | 'up to date'
