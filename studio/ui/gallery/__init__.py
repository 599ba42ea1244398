"""The Gallery room: everything made in the workspace, newest first (``page.GalleryPage`` wires the parts)."""
