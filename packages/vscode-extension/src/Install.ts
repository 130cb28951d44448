/** Finding a package the workspace installed (and the workspace's tsx), to run it over the process boundary. */
import { dirname, join } from "node:path"

const upwards = (from: string, root: string, found: (dir: string) => boolean): string | undefined => {
  for (let dir = from; ; dir = dirname(dir)) {
    if (found(dir)) return dir
    if (dir === root || dirname(dir) === dir || !dir.startsWith(root)) return undefined
  }
}

/**
 * The folder whose node_modules holds `packageName`, searched from `start` up to `root`
 * (inclusive), and the nearest `node_modules/.bin/tsx` from there up (undefined when none).
 */
export const findInstall = (packageName: string, start: string, root: string, exists: (path: string) => boolean): { readonly dir: string; readonly tsx: string | undefined } | undefined => {
  const dir = upwards(start, root, (candidate) => exists(join(candidate, "node_modules", ...packageName.split("/"), "package.json")))
  if (dir === undefined) return undefined
  const tsxDir = upwards(dir, root, (candidate) => exists(join(candidate, "node_modules", ".bin", "tsx")))
  return { dir, tsx: tsxDir === undefined ? undefined : join(tsxDir, "node_modules", ".bin", "tsx") }
}
