/** The team's reference retry helper: what the coders of the reflection and distributed examples reuse (offline, they quote it). */
export const retrySnippet = `export async function retryWithBackoff<A>(call: () => Promise<A>, maxAttempts = 5, baseDelayMs = 100): Promise<A> {
  for (let attempt = 1; ; attempt++) {
    try { return await call() } catch (error) {
      if (attempt >= maxAttempts) throw error // rethrow the last error
      const backoff = baseDelayMs * 2 ** (attempt - 1) // exponential backoff
      const jitter = Math.random() * backoff // jitter spreads the retries
      await new Promise((resolve) => setTimeout(resolve, backoff + jitter))
    }
  }
}`
