// What a Jupyter notebook (tslab) uses: figures and tables shown inline, live training progress,
// notebook parameters with their quick mode, and trained runs kept in folders to load again.
export * from '../display/jupyter';
export * from '../notebook-runs';
