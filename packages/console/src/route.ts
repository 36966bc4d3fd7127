/** A parsed `#/name/part/part?query` location and the shape of a view. */
export interface Route {
  name: string;
  parts: string[];
  query: URLSearchParams;
}

/** Renders into `root`; may return a function that stops its timers when the route changes. */
export type View = (root: HTMLElement, route: Route) => Promise<(() => void) | void>;

/** The app a view is about: `?app=` or the last one chosen. */
export function chosenApp(route: Route): number | null {
  const fromQuery = Number(route.query.get('app') ?? '');
  if (Number.isInteger(fromQuery) && fromQuery > 0) {
    sessionStorage.setItem('conclave.app', String(fromQuery));
    return fromQuery;
  }
  const saved = Number(sessionStorage.getItem('conclave.app') ?? '');
  return Number.isInteger(saved) && saved > 0 ? saved : null;
}
