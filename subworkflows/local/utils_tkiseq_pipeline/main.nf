//
// The pipeline's start and end, as nf-core pipelines have them: PIPELINE_INITIALISATION checks
// the parameters against nextflow_schema.json (no plugin needed, so it works offline), logs
// the parameters that differ from their defaults and gives the run's input channels;
// PIPELINE_COMPLETION logs the outcome when the run ends.
//

workflow PIPELINE_INITIALISATION {
    main:
    def errors = schemaErrors(file("${projectDir}/nextflow_schema.json"), params) + inputErrors(params)
    if (errors) {
        error("tkiseq: error: ${errors.join('; ')}")
    }
    log.info(paramsSummary(file("${projectDir}/nextflow_schema.json"), params))

    ch_inputs = channel.value([
        [id: 'inputs'],
        params.input ? file(params.input, checkIfExists: true) : [],
        countFiles(params.counts),
        file(params.phenotypes, checkIfExists: true),
        params.cnv ? file(params.cnv, checkIfExists: true) : [],
    ])                                      // [ val(meta), path(samplesheet.csv) or [], [ path(matrix), ... ] or [], path(phenotypes.csv), path(cnv.csv) or [] ]

    emit:
    samplesheet = ch_inputs // [ val(meta), path(samplesheet.csv) or [], [ path(matrix), ... ] or [], path(phenotypes.csv), path(cnv.csv) or [] ]
}

workflow PIPELINE_COMPLETION {
    main:
    workflow.onComplete {
        log.info(completionSummary())
        finishReport()
    }
}

// The count matrix files of --counts (comma-separated for HTSeq-count files), or []
def countFiles(counts) {
    return counts ? counts.tokenize(',').collect { f -> file(f, checkIfExists: true) } : []
}

// What a run needs besides the schema: reads (--input, with --fasta and --dbsnp) or a count
// matrix (--counts, no genome needed), not both
def inputErrors(params) {
    if (params.counts && params.input) {
        return ['--counts: give reads (--input) or a count matrix (--counts), not both']
    }
    def errors = params.counts ? [] : ['input', 'fasta', 'dbsnp'].findAll { name -> !params[name] }.collect { name -> "--${name} is required" }
    if (params.counts) {
        errors += params.counts.tokenize(',').findAll { f -> !file(f).exists() }.collect { f -> "--counts ${f}: does not exist" }
    }
    return errors
}

// The report's status banner says how the run ended (`tkiseq report-status`): the report task
// runs before the end, so its page says RUNNING until this rewrites that part of it; a failed
// run's page (one an earlier run published) names the task that failed. A top-level function:
// `workflow` is null inside the onComplete closure itself.
def finishReport() {
    def report = file("${params.outdir}/report/report.html")
    if (!report.exists()) {
        return
    }
    def status = workflow.success ? 'COMPLETED' : 'FAILED'
    def command = ["${projectDir}/bin/tkiseq", 'report-status', '--results', file(params.outdir).toString(), '--status', status]
    def failed = workflow.success ? null : failedTask(workflow.errorMessage, workflow.errorReport)
    if (failed) {
        command += ['--failed', failed]
    }
    def proc = command*.toString().execute()
    def out = new StringBuilder()
    proc.waitForProcessOutput(out, out)
    if (proc.exitValue() != 0) {
        log.warn("tkiseq report-status exited ${proc.exitValue()}: ${out.toString().trim()}")
    }
}

// The task that stopped the run, as Nextflow names it ("TKISEQ_PIPELINE:...:TKISEQ_ALIGN (S01)"),
// from the engine's error message or report; null when the run failed outside any task
def failedTask(message, report) {
    def text = [message, report].findAll { t -> t }.join('\n')
    def named = text =~ /(?:Process `([^`]+)`|Error executing process > '([^']+)')/
    return named.find() ? (named.group(1) ?: named.group(2)) : null
}

// The run's parameters as params.json (pipeline_info), for the report's parameter table: every
// parameter once (Nextflow also keeps a kebab-case alias of each), sorted by name
def paramsJson(params) {
    def named = params.findAll { entry -> !entry.key.contains('-') }.sort { entry -> entry.key }
    return groovy.json.JsonOutput.prettyPrint(groovy.json.JsonOutput.toJson(named)) + '\n'
}

// software_versions.yml: each distinct versions.yml once, sorted. Collected as text, so the
// file is the same whichever task's copy arrives first and -resume reuses it (a report that
// stages it stays cached); published to storeDir when given
def collectVersions(ch_versions, storeDir = null) {
    def options = [name: 'software_versions.yml', sort: true] + (storeDir ? [storeDir: storeDir] : [:])
    return ch_versions.map { f -> f.text }.unique().collectFile(options)
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
