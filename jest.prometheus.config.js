/** The real-Prometheus tests (`npm run prometheus-test`, run by .ci/run): minutes, outside `npm test`. */
const base = require('./jest.config.js');

module.exports = { ...base, testMatch: ['**/test/prometheus/**/*.real.ts'], testTimeout: 600_000 };
