/** The extension's manifest keeps the "good citizen" promises: activation, repository, icon, what is packaged. */
import { existsSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), "utf8")
const manifest = JSON.parse(read("package.json"))

describe("package.json", () => {
  it("activates only in workspaces that use aixfx (views and commands activate it on first use)", () => {
    expect(manifest.activationEvents.length).toBeGreaterThan(0)
    for (const event of manifest.activationEvents) expect(event).toMatch(/^workspaceContains:/)
  })

  it("names its repository, with the folder it lives in", () => {
    expect(manifest.repository).toEqual({ type: "git", url: "https://github.com/aixfx/aixfx", directory: "packages/vscode-extension" })
  })

  it("has a 128 × 128 PNG icon", () => {
    const png = readFileSync(new URL(`../${manifest.icon}`, import.meta.url))
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG")
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([128, 128])
  })

  it("packages only the bundle, the media, the manifest, README and LICENSE (no sources, no source maps)", () => {
    const rules = read(".vscodeignore")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    expect(rules).toEqual(["**", "!dist/extension.cjs", "!dist/timeline.js", "!media/**", "!package.json", "!README.md", "!LICENSE"])
    expect(existsSync(new URL("../README.md", import.meta.url))).toBe(true)
  })

  it("contributes every command and view its menus name", () => {
    const commands = new Set(manifest.contributes.commands.map((command: { command: string }) => command.command))
    const views = new Set(manifest.contributes.views.aixfx.map((view: { id: string }) => view.id))
    for (const [menu, entries] of Object.entries(manifest.contributes.menus) as Array<[string, Array<{ command: string; when?: string }>]>) {
      for (const entry of entries) {
        expect(commands.has(entry.command), `${menu}: ${entry.command}`).toBe(true)
        for (const [, view] of entry.when?.matchAll(/view == (aixfx\.\w+)/g) ?? []) expect(views.has(view), `${menu}: ${view}`).toBe(true)
      }
    }
  })
})
