//
// EXPRESSION: the cohort count matrix, then DE against each tested phenotype and GSEA
//
include { TKISEQ_COUNTS } from '../../../modules/local/tkiseq/counts'
include { TKISEQ_DE     } from '../../../modules/local/tkiseq/de'
include { TKISEQ_GSEA   } from '../../../modules/local/tkiseq/gsea'

workflow EXPRESSION {
    take:
    ch_cohort     // [ val(meta), [ path(ReadsPerGene.out.tab), ... ], [ path(strandedness.json), ... ], [ path(Log.final.out), ... ] ], all [] from a count matrix
    ch_matrix     // [ val(meta), [ path(matrix), ... ], path(samplesheet.valid.csv) ], or [ val(meta), [], [] ] from reads
    ch_annotation // [ val(meta), path(annotation) ]: the prepared bundle
    ch_phenotypes // [ val(meta), path(phenotypes.valid.csv) ]
    ch_tested     // val(phenotype): the phenotypes validate chose (tested_phenotypes.txt)
    gene_sets     // [ path(gmt), ... ], empty for no enrichment

    main:
    TKISEQ_COUNTS(ch_cohort, ch_annotation, ch_phenotypes, ch_matrix)
    ch_de_input = TKISEQ_COUNTS.out.h5ad
        .combine(ch_tested)
        .map { _meta, h5ad, phenotype -> [[id: phenotype], h5ad, phenotype] }
                                        // [ val(meta), path(cohort.h5ad), val(phenotype) ]
    TKISEQ_DE(ch_de_input, ch_phenotypes)
    ch_versions = channel.empty()
        .mix(TKISEQ_COUNTS.out.versions)
        .mix(TKISEQ_DE.out.versions.first())
    ch_gsea = channel.empty()
    if (gene_sets) {
        TKISEQ_GSEA(TKISEQ_DE.out.table, channel.value([[id: 'gene_sets'], gene_sets]))
        ch_gsea = TKISEQ_GSEA.out.table
        ch_versions = ch_versions.mix(TKISEQ_GSEA.out.versions.first())
    }

    emit:
    counts       = TKISEQ_COUNTS.out.counts       // [ val(meta), path(counts.tsv) ]
    h5ad         = TKISEQ_COUNTS.out.h5ad         // [ val(meta), path(cohort.h5ad) ]
    strandedness = TKISEQ_COUNTS.out.strandedness // [ val(meta), path(strandedness.tsv) ]
    de           = TKISEQ_DE.out.table            // [ val(meta), path(de_<phenotype>.tsv) ]
    gsea         = ch_gsea                 // [ val(meta), path(gsea_<phenotype>.tsv) ], empty without gene sets
    versions     = ch_versions             // path(versions.yml)
}
