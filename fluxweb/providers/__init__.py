"""Provider service layer: one module per image API behind one interface (:mod:`.base`)."""
