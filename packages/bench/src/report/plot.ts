/**
 * An SVG line chart of server CPU against subscribers, one line per system (no plotting dependency); runs with
 * E2EE get a dashed line of their own.
 */
import type { RunResult } from '../run.ts';

const COLORS: Record<string, string> = { conclave: '#1f77b4', mediasoup: '#2ca02c', janus: '#d62728' };
const W = 640;
const H = 400;
const M = { left: 64, right: 150, top: 40, bottom: 52 };

export function cpuPlotSvg(runs: RunResult[], title: string): string {
  const series = [...new Set(runs.map((r) => `${r.system}${r.scenario.e2ee ? ' E2EE' : ''}`))];
  const xs = runs.map((r) => r.scenario.subscribers);
  const ys = runs.map((r) => r.cpuTotalCores * 100);
  const xMax = Math.max(1, ...xs);
  const yMax = niceCeiling(Math.max(1, ...ys));
  const px = (x: number): number => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y: number): number => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end">${round(y)}</text>`,
    );
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${px(x)}" y="${H - M.bottom + 18}" text-anchor="middle">${x}</text>`);
  }
  out.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="black"/>`,
    `<text x="${(W - M.right + M.left) / 2}" y="${H - 12}" text-anchor="middle">subscribers</text>`,
    `<text transform="translate(16 ${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle">server CPU, % of one core</text>`,
  );
  series.forEach((name, i) => {
    const [system = '', e2ee] = name.split(' ');
    const color = COLORS[system] ?? '#555';
    const dash = e2ee ? ' stroke-dasharray="6 4"' : '';
    const points = runs
      .filter((r) => r.system === system && r.scenario.e2ee === (e2ee !== undefined))
      .sort((a, b) => a.scenario.subscribers - b.scenario.subscribers)
      .map((r) => [px(r.scenario.subscribers), py(r.cpuTotalCores * 100)] as const);
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${points.map((p) => p.join(',')).join(' ')}"/>`,
      ...points.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="3.5" fill="${color}"/>`),
      `<line x1="${W - M.right + 16}" x2="${W - M.right + 40}" y1="${M.top + 10 + i * 20}" y2="${M.top + 10 + i * 20}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${W - M.right + 46}" y="${M.top + 14 + i * 20}">${name}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceCeiling(v: number): number {
  const step = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / step) * step;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
