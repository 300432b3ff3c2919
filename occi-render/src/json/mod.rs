//! The application/occi+json rendering (GFD.225) and the PySSF legacy JSON dialect. Being built.
