//
// VARIANTS: allele counts at exonic sites (or a user VCF), the study filter (calls the
// sample's own fusion breakpoints explain are flagged fusion_junction), annotation
//
include { VARIANTS_CALL     } from '../../../modules/local/variants_call'
include { VARIANTS_FILTER   } from '../../../modules/local/variants_filter'
include { VARIANTS_ANNOTATE } from '../../../modules/local/variants_annotate'

workflow VARIANTS {
    take:
    ch_bam     // [ val(meta), path(bam), path(bai), path(vcf), path(tbi) ]: a user VCF, or [] []
    ch_fusions // [ val(meta), path(fusions.tsv) ]: FUSIONS' per-sample table
    ch_fasta   // [ val(meta), path(fasta), path(fai) ]
    ch_annotation // [ val(meta), path(annotation) ]: the prepared bundle
    ch_dbsnp   // [ val(meta), path(vcf), path(tbi) ]

    main:
    VARIANTS_CALL(ch_bam, ch_fasta, ch_annotation)
    VARIANTS_FILTER(
        VARIANTS_CALL.out.vcf.join(ch_fusions), // [ val(meta), path(vcf), path(tbi), path(fusions.tsv) ]
        ch_dbsnp,
        ch_fasta,
    )
    VARIANTS_ANNOTATE(VARIANTS_FILTER.out.all, ch_fasta, ch_annotation)
    ch_versions = channel.empty()
        .mix(VARIANTS_CALL.out.versions.first())
        .mix(VARIANTS_FILTER.out.versions.first())
        .mix(VARIANTS_ANNOTATE.out.versions.first())

    emit:
    all      = VARIANTS_FILTER.out.all     // [ val(meta), path(all.vcf.gz), path(tbi) ]
    pass     = VARIANTS_FILTER.out.pass    // [ val(meta), path(pass.vcf.gz), path(tbi) ]
    tables   = VARIANTS_ANNOTATE.out.tsv   // [ val(meta), path(variants.tsv) ]
    versions = ch_versions                 // path(versions.yml)
}
