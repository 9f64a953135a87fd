//
// VARIANTS: allele counts at exonic sites (or a user VCF), the study filter (calls the
// sample's own fusion breakpoints explain are flagged fusion_junction), annotation
//
include { TKISEQ_VARIANTS_CALL     } from '../../../modules/local/tkiseq/variants_call'
include { TKISEQ_VARIANTS_FILTER   } from '../../../modules/local/tkiseq/variants_filter'
include { TKISEQ_VARIANTS_ANNOTATE } from '../../../modules/local/tkiseq/variants_annotate'

workflow VARIANTS {
    take:
    ch_bam     // [ val(meta), path(bam), path(bai), path(vcf), path(tbi) ]: a user VCF, or [] []
    ch_fusions // [ val(meta), path(fusions.tsv) ]: FUSIONS' per-sample table
    ch_fasta   // [ val(meta), path(fasta), path(fai) ]
    ch_annotation // [ val(meta), path(annotation) ]: the prepared bundle
    ch_dbsnp   // [ val(meta), path(vcf), path(tbi) ]

    main:
    TKISEQ_VARIANTS_CALL(ch_bam, ch_fasta, ch_annotation)
    TKISEQ_VARIANTS_FILTER(
        TKISEQ_VARIANTS_CALL.out.vcf.join(ch_fusions), // [ val(meta), path(vcf), path(tbi), path(fusions.tsv) ]
        ch_dbsnp,
        ch_fasta,
    )
    TKISEQ_VARIANTS_ANNOTATE(TKISEQ_VARIANTS_FILTER.out.all, ch_fasta, ch_annotation)
    ch_versions = channel.empty()
        .mix(TKISEQ_VARIANTS_CALL.out.versions.first())
        .mix(TKISEQ_VARIANTS_FILTER.out.versions.first())
        .mix(TKISEQ_VARIANTS_ANNOTATE.out.versions.first())

    emit:
    all      = TKISEQ_VARIANTS_FILTER.out.all     // [ val(meta), path(all.vcf.gz), path(tbi) ]
    pass     = TKISEQ_VARIANTS_FILTER.out.pass    // [ val(meta), path(pass.vcf.gz), path(tbi) ]
    tables   = TKISEQ_VARIANTS_ANNOTATE.out.tsv   // [ val(meta), path(variants.tsv) ]
    versions = ch_versions                 // path(versions.yml)
}
