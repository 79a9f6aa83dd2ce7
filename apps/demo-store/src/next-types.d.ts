// What next-env.d.ts declares, without its imports of the build folder's generated types: typecheck must not
// depend on whether (or where) the storefront was built.
/// <reference types="next" />
/// <reference types="next/image-types/global" />
