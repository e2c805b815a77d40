import * as lib from '../lib';
import { type Level1DevChart, MerlaiConstants, MerlaiFunctions } from '../lib';
import { levelChart } from './support/synth';

const ENUMS = [
  'ApiServiceType',
  'AvailabilityLevel',
  'RedisMode',
  'LogFormat',
  'ModelMode',
  'PreStopPauseType',
  'StrategyType',
];
const isClass = (v: unknown) =>
  typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));

/** Module-level values (not classes, not enums): what jsii cannot carry. */
const VALUES = Object.entries(lib).filter(([name, v]) => !isClass(v) && !ENUMS.includes(name));

describe('every value export has a static twin that jsii carries', () => {
  test('there are value exports to twin (the list is not empty)', () => {
    expect(VALUES.length).toBeGreaterThanOrEqual(40);
  });

  test.each(VALUES.filter(([, v]) => typeof v !== 'function'))('constant %s', (name, value) => {
    if (name === 'LEVEL_PROFILES') {
      expect(MerlaiFunctions.levelProfiles()).toEqual(Object.values(value as object));
      return;
    }
    expect((MerlaiConstants as unknown as Record<string, unknown>)[name]).toEqual(value);
  });

  test.each(VALUES.filter(([, v]) => typeof v === 'function'))('function %s', (name) => {
    expect(typeof (MerlaiFunctions as unknown as Record<string, unknown>)[name]).toBe('function');
  });

  test('the twins give the same results', () => {
    expect(MerlaiFunctions.parseQuantity('512Mi')).toBe(lib.parseQuantity('512Mi'));
    expect(MerlaiFunctions.parseImage('merlai:1.0.0')).toEqual(lib.parseImage('merlai:1.0.0'));
    expect(MerlaiFunctions.isPinned({ repository: 'merlai', tag: 'latest' })).toBe(false);
    expect(MerlaiFunctions.levelProfile(lib.AvailabilityLevel.PRODUCTION).number).toBe(3);
    expect(MerlaiFunctions.monthlyErrorBudgetMinutes(0.999)).toBeCloseTo(43.2);
    const chart = levelChart(lib.AvailabilityLevel.DEVELOPMENT) as Level1DevChart;
    expect(MerlaiFunctions.composeFromChart(chart)).toEqual(lib.composeFromChart(chart));
  });
});
