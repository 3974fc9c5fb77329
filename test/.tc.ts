import { trainingCurvesSpec } from '../lib/figures/specs';
import { writeFigure } from '../lib/display/render';
const h = [0, 1, 2].map((e) => ({ epoch: e, train_reconstruction: 0.1 / (e + 1), test_reconstruction: 0.12 / (e + 1), test_error: 0.05 }));
writeFigure(trainingCurvesSpec(h), '/tmp/exp/tc').then(() => console.log('ok'));
