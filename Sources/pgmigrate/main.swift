import PGMigrateCLI
import SchemaModel

// pgmigrate: the CLI over the call-feedback model, its one provider.
PGMigrate.main(provider: CallFeedbackModel())
