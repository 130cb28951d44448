/**
 * The timeline webview's page. Scripts run only with the per-load nonce (CSP); colours come from
 * VS Code's theme variables, so the chart follows light, dark and high-contrast themes.
 */

export interface TimelinePage {
  readonly nonce: string
  /** The webview's `cspSource`, allowed to serve the stylesheet and script. */
  readonly cspSource: string
  readonly scriptUri: string
  readonly styleUri: string
}

export const timelineHtml = (page: TimelinePage): string => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${page.cspSource}; script-src 'nonce-${page.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${page.styleUri}">
<title>aixfx trace timeline</title>
</head>
<body>
<header id="top">
<h1 id="title">Waiting for a run…</h1><p id="totals"></p>
<div id="tools">
<input id="search" type="search" placeholder="Search spans" aria-label="Search spans">
<label><input id="errors-only" type="checkbox"> errors only</label>
<select id="agent" aria-label="Agent"><option value="">all agents</option></select>
<select id="model" aria-label="Model"><option value="">all models</option></select>
<span class="zoom"><button id="zoom-out" title="Zoom out (Ctrl+wheel)">−</button><span id="zoom-level">100%</span><button id="zoom-in" title="Zoom in (Ctrl+wheel)">+</button><button id="zoom-reset" title="Fit the run">fit</button></span>
</div>
<div id="legend"></div>
<div class="row axis-row"><div class="label"></div><div class="viewport" id="axis-viewport"><div class="track-inner" id="axis"></div></div><div class="detail"></div></div>
</header>
<main id="chart" role="list" aria-label="spans"></main>
<section id="summary"></section>
<script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`

export const makeNonce = (random: (size: number) => Buffer): string => random(16).toString("base64").replace(/[^A-Za-z0-9]/g, "")
