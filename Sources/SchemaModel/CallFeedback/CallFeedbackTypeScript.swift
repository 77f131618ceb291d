extension CallFeedbackRules {
    /// The rules the TypeScript types carry: the status state machine, the
    /// event types each status accepts, the encrypted phone column, the
    /// inherited tenant column and `updated_at`.
    public var typeScriptRules: TypeScriptRenderer.Rules {
        TypeScriptRenderer.Rules(
            stateMachines: [stateMachine], eventRules: [events], encryptedColumns: [phone],
            inheritedTenants: [inheritedTenant], updatedAt: [updatedAt])
    }
}

extension CallFeedbackSchema {
    /// The TypeScript module of the call-feedback model (`pgmigrate typescript`).
    public static func typeScript(
        schema: String = defaultSchema, dates: TypeScriptRenderer.DateMapping = .date
    ) throws -> String {
        try TypeScriptRenderer(catalog: catalog(schema: schema), rules: rules(schema: schema).typeScriptRules, dates: dates)
            .render()
    }
}
