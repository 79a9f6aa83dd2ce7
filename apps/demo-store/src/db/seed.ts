/** A few dozen products; the seed is idempotent (upsert by slug), so `npm run demo` can run it every time. */
export interface SeedProduct {
  slug: string
  name: string
  description: string
  category: string
  priceCents: number
  hue: number
}

const CATALOG: Record<string, Array<[name: string, priceCents: number, description: string]>> = {
  Audio: [
    ['Studio Headphones', 14900, 'Closed-back, 40 mm drivers, a cable that survives being stepped on.'],
    ['Pocket Speaker', 5900, 'Fits a jacket pocket, plays for twelve hours, floats if dropped in a lake.'],
    ['Vinyl Turntable', 24900, 'Belt drive, built-in preamp, dust cover included.'],
    ['Wireless Earbuds', 8900, 'Noise cancelling that does not hiss when the room is quiet.'],
    ['USB Microphone', 11900, 'Cardioid capsule with a headphone jack for zero-latency monitoring.'],
    ['Desk Amplifier', 17900, 'A tiny class-D amp for passive bookshelf speakers.'],
  ],
  Home: [
    ['Linen Throw', 6900, 'Stonewashed linen, softer every wash.'],
    ['Ceramic Vase', 3900, 'Hand-thrown, matte glaze, holds one stem or twenty.'],
    ['Wool Rug', 19900, 'Flat-woven wool, 160 × 230 cm.'],
    ['Reading Lamp', 8900, 'Warm 2700 K light on an arm that stays where you put it.'],
    ['Scented Candle', 2900, 'Cedar and smoke; forty hours of burn time.'],
    ['Wall Clock', 4900, 'Silent sweep movement: no ticking at night.'],
  ],
  Outdoor: [
    ['Trail Backpack', 12900, '28 litres, hip belt, a pocket for everything and nothing too deep.'],
    ['Camping Stove', 7900, 'Boils a litre in three minutes on a single canister.'],
    ['Insulated Bottle', 3400, 'Cold for a day, hot for half of one.'],
    ['Headlamp', 4400, '400 lumens, red mode that does not wake the tent.'],
    ['Hammock', 6400, 'Ripstop nylon with tree straps, packs to the size of a grapefruit.'],
    ['Rain Shell', 15900, 'Three-layer waterproof membrane, pit zips, packable hood.'],
  ],
  Kitchen: [
    ["Chef's Knife", 9900, '20 cm, stainless core, sharpened to 15 degrees.'],
    ['Cast Iron Pan', 5400, 'Pre-seasoned 26 cm skillet that will outlive you.'],
    ['Pour-over Kettle', 6900, 'Gooseneck spout, thermometer in the lid.'],
    ['Burr Grinder', 13900, 'Conical steel burrs, forty grind settings.'],
    ['Cutting Board', 4900, 'End-grain walnut, gentle on edges.'],
    ['Espresso Cups', 2900, 'Set of four double-walled glasses.'],
  ],
  Desk: [
    ['Mechanical Keyboard', 12900, 'Hot-swappable switches, aluminium case, no RGB.'],
    ['Monitor Arm', 10900, 'Gas spring, holds up to 9 kg, clamps or grommets.'],
    ['Notebook Set', 1900, 'Three A5 notebooks, dot grid, lay-flat binding.'],
    ['Fountain Pen', 3900, 'Steel nib, converter included, ink not.'],
    ['Desk Mat', 2900, 'Felt and cork, 90 × 40 cm.'],
    ['Laptop Stand', 5900, 'Folds flat, raises the screen to eye level.'],
  ],
  Apparel: [
    ['Merino T-shirt', 5900, '150 g/m² merino: wear it for a week, it will not notice.'],
    ['Canvas Sneakers', 7900, 'Vulcanised sole, organic cotton upper.'],
    ['Wool Beanie', 2400, 'Rib-knit, one size, fits most heads.'],
    ['Denim Jacket', 11900, 'Selvedge denim that fades to your shape.'],
    ['Running Socks', 1600, 'Three pairs, cushioned heel, no seams at the toes.'],
    ['Leather Belt', 4900, 'Vegetable-tanned, solid brass buckle.'],
  ],
}

const slugify = (name: string) =>
  name
    .toLowerCase()
    .replace(/'/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

export const SEED_PRODUCTS: readonly SeedProduct[] = Object.entries(CATALOG).flatMap(([category, items], c) =>
  items.map(([name, priceCents, description], i) => ({
    slug: slugify(name),
    name,
    description,
    category,
    priceCents,
    hue: (c * 60 + i * 11) % 360,
  })),
)

/** Anything with Prisma's `product.upsert` (the generated client, extended or not). */
export interface SeedTarget {
  product: {
    upsert(args: {
      where: { slug: string }
      create: SeedProduct
      update: Omit<SeedProduct, 'slug'>
    }): PromiseLike<unknown>
  }
}

/** Inserts or refreshes the catalog; returns the number of products. */
export async function seed(prisma: SeedTarget): Promise<number> {
  for (const product of SEED_PRODUCTS) {
    const { slug, ...rest } = product
    await prisma.product.upsert({ where: { slug }, create: product, update: rest })
  }
  return SEED_PRODUCTS.length
}
