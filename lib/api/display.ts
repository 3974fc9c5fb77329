// Rendering a figure spec to files: SVG, PNG (resvg), or both with the spec beside them.
export * from '../display/render';
