"""The Explore room: open a trained generator, browse its pictures, star favourites, arrange them on a
timeline, preview the latent walk and export it. ``page.ExplorePage`` wires the parts (one module each)."""
