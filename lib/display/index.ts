// Rendering of figure specs: headless SVG / PNG files, inline notebook displays, live training progress.
export * from './render';
export * from './jupyter';
