import { defineConfig } from 'tsup'

// One entry, Node only: the adapter wires what the app passes it (sinks, reporters, SDKs stay the app's imports).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  target: 'node20',
})
