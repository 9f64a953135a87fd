/*
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    TKISEQ: the pipeline's data flow, from checked inputs to the cohort report
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    TKISEQ_VALIDATE, PREPARE_GENOME (STAR index, annotation bundle) -> ALIGN -> FUSIONS ->
    VARIANTS (the filter reads each sample's fusions), EXPRESSION -> COHORT (with subtypes) ->
    STUDY -> TKISEQ_REPORT. Every stage is a `tkiseq <stage>` call
    (modules/local/tkiseq/<stage>/main.nf) declared in the stage registry
    (python/tkiseq/stages.py), the same calls the local runner (`tkiseq run`) makes. Which
    phenotypes DE tests is decided once, by `tkiseq validate`.
*/

include { TKISEQ_VALIDATE           } from '../modules/local/tkiseq/validate'
include { PREPARE_GENOME     } from '../subworkflows/local/prepare_genome'
include { ALIGN              } from '../subworkflows/local/align'
include { VARIANTS           } from '../subworkflows/local/variants'
include { FUSIONS            } from '../subworkflows/local/fusions'
include { EXPRESSION         } from '../subworkflows/local/expression'
include { COHORT             } from '../subworkflows/local/cohort'
include { STUDY              } from '../subworkflows/local/study'
include { TKISEQ_REPORT             } from '../modules/local/tkiseq/report'
include { paramsJson; collectVersions } from '../subworkflows/local/utils_tkiseq_pipeline'

workflow TKISEQ {
    take:
    ch_inputs   // [ val(meta), path(samplesheet.csv) or [], [ path(matrix), ... ] or [], path(phenotypes.csv), path(cnv.csv) or [] ]
    cnv         // path: cnv.csv, or [] when not given
    fasta       // path: genome.fa, or [] (a run from a count matrix)
    gtf         // path: genes.gtf
    fasta_fai   // path: genome.fa.fai, or [] (then made where needed)
    dbsnp       // path: dbsnp.vcf.gz, or [] (a run from a count matrix)
    dbsnp_tbi   // path: dbsnp.vcf.gz.tbi, or []
    gene_sets   // [ path(gmt), ... ], empty for no enrichment
    star_index  // path: prebuilt STAR index folder, or null to build one
    annotation  // path: prebuilt annotation bundle (tkiseq prepare), or null to prepare one
    subtype_reference   // path: labelled .h5ad (obs subtype), or []
    karyotype_reference // path: known-diploid .h5ad, or []
    subtype_centroids   // path: centroid table (genes x subtypes TSV), or []
    matrix      // [ path(matrix), ... ]: a count matrix instead of reads (--counts), or []

    main:
    // A run from a count matrix has no per-sample stage: alignment, variants, fusions and splice
    // lesions need reads, and the cohort stages run without the options that name their outputs
    def reads = !matrix

    //
    // Validate the tables once; the valid samplesheet holds absolute paths
    //
    TKISEQ_VALIDATE(ch_inputs)

    ch_samples = TKISEQ_VALIDATE.out.samplesheet   // [ val(meta), path(samplesheet.valid.csv) ]
        .map { _meta, csv -> csv }
        .splitCsv(header: true)             // [ sample:, fastq_1:, fastq_2:, strandedness:, bam:, vcf:, ... ]
        .filter { row -> row.fastq_1 || row.bam }
        .map { row ->
            def meta = [
                id: row.sample,
                strandedness: row.strandedness ?: 'auto',
                single_end: !row.fastq_2,
                from_bam: !row.fastq_1,
            ]
            [meta, row]
        }                                   // [ val(meta), val(row) ]
    ch_reads = ch_samples.map { meta, row ->
        def reads_files = row.fastq_1 ? [row.fastq_1, row.fastq_2].findAll { f -> f } : [row.bam]
        [meta, reads_files.collect { f -> file(f, checkIfExists: true) }]
    }                                       // [ val(meta), [ path(fastq_1), path(fastq_2) ] ] or [ val(meta), [ path(bam) ] ]
    ch_user_vcf = ch_samples.map { meta, row ->
        def vcf = row.vcf ? file(row.vcf, checkIfExists: true) : []
        def index = row.vcf ? ['tbi', 'csi'].collect { ext -> file("${row.vcf}.${ext}") }.find { f -> f.exists() } : null
        [meta, vcf, index ?: []]
    }                                       // [ val(meta), path(vcf), path(tbi) ], or [ val(meta), [], [] ] without a user VCF
    ch_tested = TKISEQ_VALIDATE.out.tested_phenotypes
        .map { _meta, txt -> txt }
        .splitText()
        .map { line -> line.trim() }
        .filter { name -> name != '' }      // val(phenotype): one DE (and GSEA) each

    PREPARE_GENOME(fasta, gtf, star_index, annotation, reads)
    ch_annotation = PREPARE_GENOME.out.annotation // [ val(meta), path(annotation) ]
    ch_versions = TKISEQ_VALIDATE.out.versions.mix(PREPARE_GENOME.out.versions)

    // What the read stages give the cohort; without reads: no files
    ch_counts_reads  = channel.value([[id: 'cohort'], [], [], []])  // [ val(meta), [ ReadsPerGene.out.tab ], [ strandedness.json ], [ Log.final.out ] ]
    ch_counts_matrix = TKISEQ_VALIDATE.out.samplesheet
        .map { _meta, csv -> [[id: 'matrix'], matrix, csv] }       // [ val(meta), [ path(matrix), ... ], path(samplesheet.valid.csv) ]
    ch_fusions   = channel.empty()          // [ val(meta), path(fusions.tsv) ] per sample
    ch_splice    = channel.empty()          // [ val(meta), path(splice_lesions.tsv) ] per sample
    ch_variants  = channel.empty()          // [ val(meta), path(variants.tsv) ] per sample
    ch_all_vcf   = channel.empty()          // [ val(meta), path(all.vcf.gz), path(tbi) ] per sample
    ch_bam       = channel.empty()
    ch_junctions = channel.empty()
    ch_chimeric  = channel.empty()
    ch_rpg       = channel.empty()
    ch_read_reports = channel.empty()       // [ val(meta), path(Log.final.out / markdup.txt / ReadsPerGene.out.tab) ]
    if (reads) {
        ch_fasta = channel.value([[id: fasta.baseName], fasta, fasta_fai]) // [ val(meta), path(fasta), path(fai) ]
        ch_dbsnp = channel.value([[id: 'dbsnp'], dbsnp, dbsnp_tbi])        // [ val(meta), path(vcf), path(tbi) ]
        ALIGN(ch_reads, PREPARE_GENOME.out.star_index)
        FUSIONS(
            ALIGN.out.chimeric
                .join(ALIGN.out.junctions)
                .join(ALIGN.out.log_final)
                .join(ALIGN.out.bam),       // [ val(meta), path(chimeric), path(sj), path(log_final), path(bam), path(bai) ]
            ALIGN.out.junctions,
            ch_fasta,
            ch_annotation,
        )
        VARIANTS(
            ALIGN.out.bam.join(ch_user_vcf), // [ val(meta), path(bam), path(bai), path(vcf), path(tbi) ]
            FUSIONS.out.fusions,            // [ val(meta), path(fusions.tsv) ]: the filter flags calls at their breakpoints
            ch_fasta,
            ch_annotation,
            ch_dbsnp,
        )
        ch_counts_reads = ALIGN.out.reads_per_gene
            .join(ALIGN.out.strandedness)
            .join(ALIGN.out.log_final)
            .toSortedList { a, b -> a[0].id <=> b[0].id }
            .map { rows -> [[id: 'cohort'], rows.collect { row -> row[1] }, rows.collect { row -> row[2] }, rows.collect { row -> row[3] }] }
        ch_counts_matrix = channel.value([[id: 'matrix'], [], []])
        ch_fusions   = FUSIONS.out.fusions
        ch_splice    = FUSIONS.out.lesions
        ch_variants  = VARIANTS.out.tables
        ch_all_vcf   = VARIANTS.out.all
        ch_bam       = ALIGN.out.bam
        ch_junctions = ALIGN.out.junctions
        ch_chimeric  = ALIGN.out.chimeric
        ch_rpg       = ALIGN.out.reads_per_gene
        ch_read_reports = ALIGN.out.log_final.mix(ALIGN.out.markdup, ALIGN.out.reads_per_gene)
        ch_versions = ch_versions.mix(ALIGN.out.versions, VARIANTS.out.versions, FUSIONS.out.versions)
    }
    EXPRESSION(
        ch_counts_reads,
        ch_counts_matrix,
        ch_annotation,
        TKISEQ_VALIDATE.out.phenotypes,
        ch_tested,
        gene_sets,
    )
    ch_cnv_valid = cnv
        ? TKISEQ_VALIDATE.out.cnv                  // [ val(meta), path(cnv.valid.csv) ]
        : channel.value([[id: 'inputs'], []]) // [ val(meta), [] ]: no cnv.csv
    COHORT(
        ch_variants,
        ch_fusions,
        ch_all_vcf,
        EXPRESSION.out.h5ad,
        ch_annotation,
        ch_cnv_valid,
        channel.value([[id: 'subtype_reference'], subtype_reference]),
        channel.value([[id: 'karyotype_reference'], karyotype_reference]),
        channel.value([[id: 'subtype_centroids'], subtype_centroids]),
        reads,
    )
    STUDY(
        TKISEQ_VALIDATE.out.samplesheet
            .join(TKISEQ_VALIDATE.out.cnv, remainder: true)
            .map { meta, sheet, cnv_valid -> [meta, sheet, cnv_valid ?: []] },
                                            // [ val(meta), path(samplesheet.valid.csv), path(cnv.valid.csv) or [] ]
        TKISEQ_VALIDATE.out.phenotypes,
        ch_splice,
        COHORT.out.fusions,
        COHORT.out.variants,
        EXPRESSION.out.h5ad,
        COHORT.out.karyotype,
    )

    //
    // The report, last: one self-contained HTML page, and MultiQC over the STAR and markdup
    // logs plus tkiseq's per-sample columns. Its inputs are recognised by their file names.
    //
    // The run's records the report's summary shows, as `tkiseq run` writes them first: the
    // parameters, and the versions of every process before the report (its own are the
    // published software_versions.yml's last entry)
    ch_versions_before_report = ch_versions
        .mix(EXPRESSION.out.versions)
        .mix(COHORT.out.versions)
        .mix(STUDY.out.versions)
    ch_params_json = channel.of(paramsJson(params))
        .collectFile(name: 'params.json', storeDir: "${params.outdir}/pipeline_info")
    ch_run_records = ch_params_json
        .mix(collectVersions(ch_versions_before_report))
        .map { f -> [[id: 'pipeline_info'], f] } // [ val(meta), path(params.json / software_versions.yml) ]
    ch_report_files = TKISEQ_VALIDATE.out.samplesheet
        .mix(
            ch_run_records,
            ch_read_reports,
            EXPRESSION.out.counts,
            EXPRESSION.out.strandedness,
            COHORT.out.variants,
            COHORT.out.fusions,
            COHORT.out.subtypes,
            COHORT.out.karyotype,
            COHORT.out.karyotype_points,
            STUDY.out.response,
            STUDY.out.lesions,
            STUDY.out.profile,
            STUDY.out.associations,
            STUDY.out.figures,
            EXPRESSION.out.de,
            EXPRESSION.out.gsea,
        )                                   // [ val(meta), path(file) ]
        .filter { _meta, f -> f != [] }     // [] stands for a cohort table a run from a count matrix has not
        .map { _meta, f -> f }
        .toSortedList { a, b -> a.name <=> b.name }
        .map { files -> [[id: 'cohort'], files] } // [ val(meta), [ path(file), ... ] ]
    TKISEQ_REPORT(ch_report_files)

    ch_versions = ch_versions_before_report
        .mix(TKISEQ_REPORT.out.versions)
    collectVersions(ch_versions, "${params.outdir}/pipeline_info")

    emit:
    samplesheet    = TKISEQ_VALIDATE.out.samplesheet     // [ val(meta), path(samplesheet.valid.csv) ]
    bam            = ch_bam                       // [ val(meta), path(bam), path(bai) ]; none from a count matrix
    junctions      = ch_junctions                 // [ val(meta), path(SJ.out.tab) ]
    chimeric       = ch_chimeric                  // [ val(meta), path(Chimeric.out.junction) ]
    reads_per_gene = ch_rpg                       // [ val(meta), path(ReadsPerGene.out.tab) ]
    counts         = EXPRESSION.out.counts        // [ val(meta), path(counts.tsv) ]
    h5ad           = EXPRESSION.out.h5ad          // [ val(meta), path(cohort.h5ad) ]
    variants       = COHORT.out.variants          // [ val(meta), path(cohort_variants.tsv) ], or [ val(meta), [] ]
    fusions        = COHORT.out.fusions           // [ val(meta), path(cohort_fusions.tsv) ], or [ val(meta), [] ]
    subtypes       = COHORT.out.subtypes          // [ val(meta), path(subtypes.tsv) ]
    de             = EXPRESSION.out.de            // [ val(meta), path(de_<phenotype>.tsv) ]
    response       = STUDY.out.response           // [ val(meta), path(response.tsv) ]
    lesions        = STUDY.out.lesions            // [ val(meta), path(lesions.tsv) ]
    profile        = STUDY.out.profile            // [ val(meta), path(profile.tsv) ]
    associations   = STUDY.out.associations       // [ val(meta), path(associations.tsv) ]
    report         = TKISEQ_REPORT.out.html              // [ val(meta), path(report.html) ]
    versions       = ch_versions                  // path(versions.yml)
}
