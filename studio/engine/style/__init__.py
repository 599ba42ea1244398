"""Neural style transfer (Gatys et al.): backbones (the weights ladder), losses and the job, colour control."""
