// Measurements of a trained model: errors, MMD, mode accuracy, separation of style and label.
export * from './metrics';
export * from './separation';
