/**
 * `f` remembering its last argument and result: called again with the same argument (by
 * identity), it returns the same result without calling `f`. For contexts derived on a hot path
 * from the caller's: calls come in runs from one caller context (a loop, a pattern's steps, a
 * fan-out's branches), and handing them the same derived context lets what is cached on it hold.
 */
export const lastResult = <A, B>(f: (a: A) => B): ((a: A) => B) => {
  // Two variables rather than a pair: a miss (every branch of a pattern's fan-out, once per run)
  // allocates nothing more than `f` does.
  let filled = false
  let lastA: A | undefined
  let lastB: B | undefined
  return (a) => {
    if (!filled || a !== lastA) {
      lastB = f(a)
      lastA = a
      filled = true
    }
    return lastB as B
  }
}
