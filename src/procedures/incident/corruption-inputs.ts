export const corruptionInputs = {};
