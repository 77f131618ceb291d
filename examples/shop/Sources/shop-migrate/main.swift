import PGMigrateCLI
import ShopModel

// The pgmigrate command line over the shop's own model: generate, migrate,
// drift, purge and the rest, exactly as pgmigrate does for its model.
PGMigrate.main(provider: ShopModel())
