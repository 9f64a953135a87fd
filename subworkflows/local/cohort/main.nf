//
// COHORT: the per-sample tables merged into cohort tables, then the subtype, RNA karyotype,
// risk group and CD19/CD22 of every sample from them
//
include { TKISEQ_VARIANTS_COHORT } from '../../../modules/local/tkiseq/variants_cohort'
include { TKISEQ_FUSIONS_COHORT  } from '../../../modules/local/tkiseq/fusions_cohort'
include { TKISEQ_SUBTYPES        } from '../../../modules/local/tkiseq/subtypes'

workflow COHORT {
    take:
    ch_variants            // [ val(meta), path(variants.tsv) ] per sample
    ch_fusions             // [ val(meta), path(fusions.tsv) ] per sample
    ch_all_vcf             // [ val(meta), path(all.vcf.gz), path(tbi) ] per sample
    ch_h5ad                // [ val(meta), path(cohort.h5ad) ]
    ch_annotation          // [ val(meta), path(annotation) ]: the prepared bundle
    ch_cnv                 // [ val(meta), path(cnv.valid.csv) ], or [ val(meta), [] ]
    ch_subtype_reference   // [ val(meta), path(labelled .h5ad) ], or [ val(meta), [] ]
    ch_karyotype_reference // [ val(meta), path(known-diploid .h5ad) ], or [ val(meta), [] ]
    ch_subtype_centroids   // [ val(meta), path(centroid table .tsv) ], or [ val(meta), [] ]
    reads                  // boolean: a run from reads (false: from a count matrix, no per-sample tables)

    main:
    ch_versions = channel.empty()
    // without reads: no cohort variant or fusion table, and subtypes runs without them
    ch_cohort_variants = channel.value([[id: 'cohort'], []]) // [ val(meta), path(cohort_variants.tsv) ], or [ val(meta), [] ]
    ch_alterations     = channel.empty()
    ch_cohort_fusions  = channel.value([[id: 'cohort'], []]) // [ val(meta), path(cohort_fusions.tsv) ], or [ val(meta), [] ]
    if (reads) {
        TKISEQ_VARIANTS_COHORT(
            ch_variants
                .map { _meta, tsv -> tsv }
                .toSortedList { a, b -> a.name <=> b.name }
                .map { tables -> [[id: 'cohort'], tables] }
        )                               // [ val(meta), [ path(variants.tsv), ... ] ]
        TKISEQ_FUSIONS_COHORT(
            ch_fusions
                .map { _meta, tsv -> tsv }
                .toSortedList { a, b -> a.name <=> b.name }
                .map { tables -> [[id: 'cohort'], tables] }
        )                               // [ val(meta), [ path(fusions.tsv), ... ] ]
        ch_cohort_variants = TKISEQ_VARIANTS_COHORT.out.variants
        ch_alterations     = TKISEQ_VARIANTS_COHORT.out.alterations
        ch_cohort_fusions  = TKISEQ_FUSIONS_COHORT.out.fusions
        ch_versions = ch_versions
            .mix(TKISEQ_VARIANTS_COHORT.out.versions)
            .mix(TKISEQ_FUSIONS_COHORT.out.versions)
    }
    TKISEQ_SUBTYPES(
        ch_h5ad,
        ch_annotation,
        ch_fusions
            .map { _meta, tsv -> tsv }
            .toSortedList { a, b -> a.name <=> b.name }
            .map { tables -> [[id: 'fusions'], tables] },   // [ val(meta), [ path(fusions.tsv), ... ] ]
        ch_all_vcf
            .toSortedList { a, b -> a[0].id <=> b[0].id }
            .map { rows -> [[id: 'vcfs'], rows.collect { row -> row[1] }, rows.collect { row -> row[2] }] },
                                                            // [ val(meta), [ path(all.vcf.gz), ... ], [ path(tbi), ... ] ]
        ch_cohort_variants,
        ch_cnv,
        ch_subtype_reference,
        ch_karyotype_reference,
        ch_subtype_centroids,
    )
    ch_versions = ch_versions.mix(TKISEQ_SUBTYPES.out.versions)

    emit:
    variants    = ch_cohort_variants                     // [ val(meta), path(cohort_variants.tsv) ], or [ val(meta), [] ]
    alterations = ch_alterations                         // [ val(meta), path(alterations.tsv) ], none from a count matrix
    fusions     = ch_cohort_fusions                      // [ val(meta), path(cohort_fusions.tsv) ], or [ val(meta), [] ]
    subtypes    = TKISEQ_SUBTYPES.out.subtypes           // [ val(meta), path(subtypes.tsv) ]
    karyotype   = TKISEQ_SUBTYPES.out.karyotype          // [ val(meta), path(karyotype.tsv) ]
    karyotype_points = TKISEQ_SUBTYPES.out.karyotype_genes.mix(TKISEQ_SUBTYPES.out.karyotype_sites) // [ val(meta), path(karyotype_genes.tsv.gz / karyotype_sites.tsv.gz) ], when written
    versions    = ch_versions                     // path(versions.yml)
}
