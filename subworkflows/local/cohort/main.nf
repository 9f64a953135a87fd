//
// COHORT: the per-sample tables merged into cohort tables
//
include { VARIANTS_COHORT } from '../../../modules/local/variants_cohort'
include { FUSIONS_COHORT  } from '../../../modules/local/fusions_cohort'

workflow COHORT {
    take:
    ch_variants // [ val(meta), path(variants.tsv) ] per sample
    ch_fusions  // [ val(meta), path(fusions.tsv) ] per sample

    main:
    VARIANTS_COHORT(
        ch_variants
            .map { _meta, tsv -> tsv }
            .toSortedList { a, b -> a.name <=> b.name }
            .map { tables -> [[id: 'cohort'], tables] }
    )                                   // [ val(meta), [ path(variants.tsv), ... ] ]
    FUSIONS_COHORT(
        ch_fusions
            .map { _meta, tsv -> tsv }
            .toSortedList { a, b -> a.name <=> b.name }
            .map { tables -> [[id: 'cohort'], tables] }
    )                                   // [ val(meta), [ path(fusions.tsv), ... ] ]
    ch_versions = channel.empty()
        .mix(VARIANTS_COHORT.out.versions)
        .mix(FUSIONS_COHORT.out.versions)

    emit:
    variants    = VARIANTS_COHORT.out.variants    // [ val(meta), path(cohort_variants.tsv) ]
    alterations = VARIANTS_COHORT.out.alterations // [ val(meta), path(alterations.tsv) ]
    fusions     = FUSIONS_COHORT.out.fusions      // [ val(meta), path(cohort_fusions.tsv) ]
    versions    = ch_versions                     // path(versions.yml)
}
