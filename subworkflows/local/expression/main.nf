//
// EXPRESSION: the cohort count matrix, then DE against each tested phenotype and GSEA
//
include { COUNTS } from '../../../modules/local/counts'
include { DE     } from '../../../modules/local/de'
include { GSEA   } from '../../../modules/local/gsea'

workflow EXPRESSION {
    take:
    ch_counts     // [ val(meta), path(ReadsPerGene.out.tab), path(strandedness.json) ] per sample
    ch_annotation // [ val(meta), path(annotation) ]: the prepared bundle
    ch_phenotypes // [ val(meta), path(phenotypes.valid.csv) ]
    ch_tested     // val(phenotype): the phenotypes validate chose (tested_phenotypes.txt)
    gene_sets     // [ path(gmt), ... ], empty for no enrichment

    main:
    ch_cohort = ch_counts
        .toSortedList { a, b -> a[0].id <=> b[0].id }
        .map { rows -> [[id: 'cohort'], rows.collect { row -> row[1] }, rows.collect { row -> row[2] }] }
                                        // [ val(meta), [ path(ReadsPerGene.out.tab), ... ], [ path(strandedness.json), ... ] ]
    COUNTS(ch_cohort, ch_annotation, ch_phenotypes)
    ch_de_input = COUNTS.out.h5ad
        .combine(ch_tested)
        .map { _meta, h5ad, phenotype -> [[id: phenotype], h5ad, phenotype] }
                                        // [ val(meta), path(cohort.h5ad), val(phenotype) ]
    DE(ch_de_input, ch_phenotypes.first())
    ch_versions = channel.empty()
        .mix(COUNTS.out.versions)
        .mix(DE.out.versions.first())
    ch_gsea = channel.empty()
    if (gene_sets) {
        GSEA(DE.out.table, channel.value([[id: 'gene_sets'], gene_sets]))
        ch_gsea = GSEA.out.table
        ch_versions = ch_versions.mix(GSEA.out.versions.first())
    }

    emit:
    counts       = COUNTS.out.counts       // [ val(meta), path(counts.tsv) ]
    h5ad         = COUNTS.out.h5ad         // [ val(meta), path(cohort.h5ad) ]
    strandedness = COUNTS.out.strandedness // [ val(meta), path(strandedness.tsv) ]
    de           = DE.out.table            // [ val(meta), path(de_<phenotype>.tsv) ]
    gsea         = ch_gsea                 // [ val(meta), path(gsea_<phenotype>.tsv) ], empty without gene sets
    versions     = ch_versions             // path(versions.yml)
}
