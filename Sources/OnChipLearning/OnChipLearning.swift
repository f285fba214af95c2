// OnChipLearning: software for the chip and the host (learning rules as microcode
// programs, training orchestration, datasets and encoders, the float software twin,
// the off-chip BP baseline).
@_exported import ChipModel
