import type { DeliveryStatus } from "../shared/use-cases/ops/contract.js";
import { h } from "./dom.js";

/** ISO time → `2025-01-31 12:00:00` in the browser's zone, the exact ISO as a tooltip. */
export function time(iso: string | undefined): HTMLElement | string {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return h("time", { datetime: iso, title: iso }, localText(at));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function localText(at: Date): string {
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** ISO → the value of a `datetime-local` input (local time, to the second). */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** A `datetime-local` value (local time) → ISO with zone; "" stays undefined. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function seconds(value: number | undefined): string {
  if (value === undefined) return "—";
  if (value < 60) return `${Math.round(value)} s`;
  if (value < 3600) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  if (value < 86_400) return `${Math.floor(value / 3600)} h ${Math.round((value % 3600) / 60)} min`;
  return `${Math.floor(value / 86_400)} d ${Math.round((value % 86_400) / 3600)} h`;
}

export const millis = (value: number | undefined): string =>
  value === undefined ? "—" : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;

export const percent = (value: number | undefined): string =>
  value === undefined ? "—" : `${(value * 100).toFixed(value >= 0.999 || value === 0 ? 0 : 1)} %`;

/** A status badge whose text says the state (colour only repeats it). */
export function badge(status: DeliveryStatus | string, label?: string): HTMLElement {
  return h("span", { class: `badge s-${status}` }, label ? `${label}: ${status}` : status);
}

export const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;
