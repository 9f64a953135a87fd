//
// STUDY: drug response (AUC z-scores, classes), lesions from every source with the IKZF1plus
// profile, then the core study's tests and figures
//
include { TKISEQ_RESPONSE     } from '../../../modules/local/tkiseq/response'
include { TKISEQ_LESIONS      } from '../../../modules/local/tkiseq/lesions'
include { TKISEQ_ASSOCIATIONS } from '../../../modules/local/tkiseq/associations'

workflow STUDY {
    take:
    ch_inputs     // [ val(meta), path(samplesheet.valid.csv), path(cnv.valid.csv) or [] ]
    ch_phenotypes // [ val(meta), path(phenotypes.valid.csv) ]
    ch_splice     // [ val(meta), path(splice_lesions.tsv) ] per sample
    ch_fusions    // [ val(meta), path(cohort_fusions.tsv) ], or [ val(meta), [] ] from a count matrix
    ch_variants   // [ val(meta), path(cohort_variants.tsv) ], or [ val(meta), [] ]
    ch_h5ad       // [ val(meta), path(cohort.h5ad) ]
    ch_karyotype  // [ val(meta), path(karyotype.tsv) ]

    main:
    TKISEQ_RESPONSE(ch_phenotypes)
    TKISEQ_LESIONS(
        ch_inputs,
        ch_splice
            .map { _meta, tsv -> tsv }
            .toSortedList { a, b -> a.name <=> b.name }
            .map { tables -> [[id: 'cohort'], tables] }, // [ val(meta), [ path(splice_lesions.tsv), ... ] ]
        ch_fusions,
        ch_variants,
        ch_h5ad,
        ch_karyotype,
    )
    TKISEQ_ASSOCIATIONS(TKISEQ_RESPONSE.out.response, ch_phenotypes, TKISEQ_LESIONS.out.profile, ch_fusions, ch_h5ad)
    ch_figures = TKISEQ_ASSOCIATIONS.out.fig1abc
        .mix(
            TKISEQ_ASSOCIATIONS.out.fig1d,
            TKISEQ_ASSOCIATIONS.out.fig1ef,
            TKISEQ_ASSOCIATIONS.out.fig3a,
            TKISEQ_ASSOCIATIONS.out.fig3b,
            TKISEQ_ASSOCIATIONS.out.fig5,
        )
        .flatMap { meta, png, svg -> [[meta, png], [meta, svg]] } // [ val(meta), path(fig*.png / fig*.svg) ]
    ch_versions = channel.empty()
        .mix(TKISEQ_RESPONSE.out.versions)
        .mix(TKISEQ_LESIONS.out.versions)
        .mix(TKISEQ_ASSOCIATIONS.out.versions)

    emit:
    response     = TKISEQ_RESPONSE.out.response         // [ val(meta), path(response.tsv) ]
    lesions      = TKISEQ_LESIONS.out.lesions           // [ val(meta), path(lesions.tsv) ]
    profile      = TKISEQ_LESIONS.out.profile           // [ val(meta), path(profile.tsv) ]
    associations = TKISEQ_ASSOCIATIONS.out.associations // [ val(meta), path(associations.tsv) ]
    figures      = ch_figures                          // [ val(meta), path(fig*.png / fig*.svg) ]
    versions     = ch_versions                   // path(versions.yml)
}
