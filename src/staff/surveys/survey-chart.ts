import { html, type SafeHtml } from "../html.js";
import { percent, type OptionCount } from "./survey-results.js";

// A horizontal bar chart as inline SVG (the console's CSP allows no scripts and no inline
// styles; colours come from staff.css classes). Labels are at most 20 characters (LINE button
// labels), which fit the label column at this font size.
const WIDTH = 720;
const LABEL_RIGHT = 280;
const BAR_LEFT = 290;
const BAR_MAX = 300;
const ROW = 30;
const BAR = 18;

export function barChart(counts: OptionCount[], caption: string): SafeHtml {
  const max = Math.max(1, ...counts.map((row) => row.count));
  const height = counts.length * ROW + 10;
  return html`<svg class="bar-chart" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${caption}" xmlns="http://www.w3.org/2000/svg">
<title>${caption}</title>
${counts.map((row, index) => {
  const top = 5 + index * ROW;
  const width = row.count === 0 ? 0 : Math.max(2, Math.round((row.count / max) * BAR_MAX));
  return html`<g>
<text class="bar-label" x="${LABEL_RIGHT}" y="${top + BAR - 4}" text-anchor="end">${row.label}</text>
<rect class="bar-track" x="${BAR_LEFT}" y="${top}" width="${BAR_MAX}" height="${BAR}"></rect>
<rect class="bar" x="${BAR_LEFT}" y="${top}" width="${width}" height="${BAR}"></rect>
<text class="bar-value" x="${BAR_LEFT + BAR_MAX + 8}" y="${top + BAR - 4}">${row.count.toLocaleString("ja-JP")}件（${percent(row.share)}）</text>
</g>`;
})}
</svg>`;
}
