/**
 * Whether this is CI: the one place the tests decide it. `CI` set to anything but '', '0' or
 * 'false' (`.ci/run` exports CI=true). Under CI a missing tool or upstream file fails instead of
 * skipping.
 */
export const IN_CI = !['', '0', 'false', undefined].includes(process.env.CI);
