"""The avatar: a parametric body (anny), dressed, posed and rendered offscreen. Pure: no Django."""
