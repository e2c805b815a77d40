// A Grafana dashboard per monitored level: the construct (./dashboard.ts), its panels
// (./panels.ts) and their Grafana JSON (./grafana.ts, built with Grafana's Foundation SDK).

export {
  dashboardText,
  GRAFANA_DASHBOARD_LABELS,
  MerlaiDashboard,
  type MerlaiDashboardOptions,
  type MerlaiDashboardProps,
} from './dashboard';
export { GRAFANA_SCHEMA_VERSION } from './grafana';
export type { DashboardPanel, DashboardQuery, DashboardThreshold } from './types';
