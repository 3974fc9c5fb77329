// Figures: typed Vega-Lite spec builders (data in, spec out) and the data they take from models.
export * from './palette';
export * from './images';
export * from './specs';
export * from './data';
export * from './experiment';
export * from './clusters';
export * from './result-curves';
