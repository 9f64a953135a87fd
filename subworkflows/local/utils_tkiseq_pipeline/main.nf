//
// The pipeline's start and end, as nf-core pipelines have them: PIPELINE_INITIALISATION checks
// the parameters against nextflow_schema.json (no plugin needed, so it works offline), logs
// the parameters that differ from their defaults and gives the run's input channels;
// PIPELINE_COMPLETION logs the outcome when the run ends.
//

workflow PIPELINE_INITIALISATION {
    main:
    def errors = schemaErrors(file("${projectDir}/nextflow_schema.json"), params)
    if (errors) {
        error("tkiseq: error: ${errors.join('; ')}")
    }
    log.info(paramsSummary(file("${projectDir}/nextflow_schema.json"), params))

    ch_inputs = channel.value([
        [id: 'inputs'],
        file(params.input, checkIfExists: true),
        file(params.phenotypes, checkIfExists: true),
        params.cnv ? file(params.cnv, checkIfExists: true) : [],
    ])                                      // [ val(meta), path(samplesheet.csv), path(phenotypes.csv), path(cnv.csv) or [] ]

    emit:
    samplesheet = ch_inputs // [ val(meta), path(samplesheet.csv), path(phenotypes.csv), path(cnv.csv) or [] ]
}

workflow PIPELINE_COMPLETION {
    main:
    workflow.onComplete {
        log.info(completionSummary())
    }
}

// One line: the outcome, tasks run and cached, the duration and where the results are
def completionSummary() {
    def status = workflow.success ? 'completed' : 'failed'
    def stats = workflow.stats
    return "tkiseq ${workflow.manifest.version} ${status}: ${stats.succeedCount} tasks run, ${stats.cachedCount} cached, in ${workflow.duration}; results in ${params.outdir}"
}

/*
    The schema's rules as nf-schema applies them, for the keywords nextflow_schema.json uses:
    required, type, enum, pattern, minimum/maximum/exclusiveMinimum, and for file and folder
    paths with `exists`, that they exist. Unknown parameters are errors too (a typo would
    otherwise run with the default).
*/
def schemaErrors(schemaFile, params) {
    def schema = new groovy.json.JsonSlurper().parse(schemaFile.toFile())
    def errors = []
    def known = [] as Set
    schema['$defs'].values().each { spec ->
        spec['properties'].each { entry ->
            def name = entry.key
            known << name
            def value = params[name]
            if (value == null || value == '') {
                if (name in (spec['required'] ?: [])) {
                    errors << "--${name} is required"
                }
                return
            }
            def problem = ruleError(entry.value, value)
            if (problem) {
                errors << "--${name} ${value}: ${problem}"
            }
        }
    }
    params.keySet().findAll { name -> !(name in known) && !name.contains('-') }.sort().each { name ->
        errors << "--${name}: not a parameter of this pipeline"
    }
    return errors
}

def ruleError(rule, value) {
    def types = [string: String, boolean: Boolean, integer: Integer, number: Number]
    if (rule.type == 'integer' && value instanceof Long) {
        value = value as Integer
    }
    if (!(types[rule.type]?.isInstance(value))) {
        return "is not of type ${rule.type}"
    }
    def allowed = rule['enum']
    if (allowed && !(value in allowed)) {
        return "is not one of ${allowed.join(', ')}"
    }
    if (rule.pattern && !(value ==~ rule.pattern)) {
        return "does not match ${rule.pattern}"
    }
    if (rule.minimum != null && value < rule.minimum) {
        return "is below the minimum ${rule.minimum}"
    }
    if (rule.exclusiveMinimum != null && value <= rule.exclusiveMinimum) {
        return "must be above ${rule.exclusiveMinimum}"
    }
    if (rule.maximum != null && value > rule.maximum) {
        return "is above the maximum ${rule.maximum}"
    }
    if (rule.exists && rule.format in ['file-path', 'directory-path']) {
        def path = file(value)
        if (!path.exists()) {
            return 'does not exist'
        }
        if (rule.format == 'file-path' && path.isDirectory()) {
            return 'is a folder, not a file'
        }
        if (rule.format == 'directory-path' && !path.isDirectory()) {
            return 'is not a folder'
        }
    }
    return null
}

def paramsSummary(schemaFile, params) {
    def schema = new groovy.json.JsonSlurper().parse(schemaFile.toFile())
    def lines = ["tkiseq ${workflow.manifest.version} (Nextflow ${nextflow.version}), profile ${workflow.profile}"]
    schema['$defs'].values().each { spec ->
        spec['properties'].each { entry ->
            def name = entry.key
            def value = params[name]
            if (value != null && value != '' && value != entry.value['default']) {
                lines << "  --${name} ${value}"
            }
        }
    }
    return lines.join('\n')
}
