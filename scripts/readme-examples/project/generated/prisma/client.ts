// Stands in for the client `prisma generate` writes into a Next.js app (`@/generated/prisma/client`), with one model.
import type { SqlDriverAdapterFactory } from '@prisma/client/runtime/client'

export interface Product {
  id: string
  name: string
  priceCents: number
}

export declare class PrismaClient {
  constructor(options: { adapter: SqlDriverAdapterFactory })
  product: { findMany(args?: { take?: number }): Promise<Product[]> }
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>
  $extends(extension: object): this
  $on(event: 'query', callback: (event: { duration: number }) => void): void
  $disconnect(): Promise<void>
}
