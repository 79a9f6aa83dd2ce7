// A process that starts runtimeMetrics and never stops it: once its own work is done (one ref'd timer), nothing
// but the collection timer, the delay histogram and the GC observer is left, and none of them may hold it.
import { runtimeMetrics } from '../src/node.js'

let emitted = 0
const count = () => {
  emitted++
}
runtimeMetrics({
  metrics: { increment: count, gauge: count, timing: count, histogram: count },
  intervalMs: 100,
})

setTimeout(() => {
  console.log(JSON.stringify({ emitted }))
}, 450)
