/** A line drawn on a panel: a value and its colour. */
export interface DashboardThreshold {
  readonly value: number;
  readonly color: string;
}

/** One query of a panel, as Grafana's Prometheus data source reads it. */
export interface DashboardQuery {
  readonly expr: string;
  /** Legend of the series (`{{pod}}` style placeholders allowed). */
  readonly legend: string;
}

/** One panel as generated: what the README lists and the panel-query test runs. */
export interface DashboardPanel {
  /** Title of the row the panel sits in. */
  readonly row: string;
  readonly title: string;
  readonly description: string;
  /** Grafana panel plugin: `timeseries` or `stat`. */
  readonly type: 'timeseries' | 'stat';
  /** Grafana unit id, e.g. `percentunit`, `reqps`, `s`, `bytes`. */
  readonly unit: string;
  readonly queries: DashboardQuery[];
  /** Lines drawn on the panel (objectives, burn-rate factors, limits), from the same definitions as the rules. */
  readonly thresholds?: DashboardThreshold[] | undefined;
}

/** A panel of a row, before it knows its row. */
export type RowPanel = Omit<DashboardPanel, 'row'>;

/** A row of panels. */
export interface DashboardRow {
  readonly title: string;
  readonly panels: RowPanel[];
  /** Width of a graph in Grafana's 24 columns (a stat is 6). @default 12 */
  readonly graphWidth?: number | undefined;
}
