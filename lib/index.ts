export * from './api';
export * from './endpoints';
export * from './errors';
export * from './image';
export * from './level-chart';
export * from './levels';
export { parseQuantity } from './quantity';
export * from './security';
export * from './sli';
