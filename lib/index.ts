export * from './api';
export * from './errors';
export * from './image';
export * from './level-chart';
export * from './levels';
export { parseQuantity } from './quantity';
