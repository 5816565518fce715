"""A fixed corpus of study notes, one string per page, in the shape extraction produces: headings,
wrapped lines, page footers, a figure caption and references among the real sentences (the
generator must ask about the sentences and never about the boilerplate)."""
from __future__ import annotations

import re

from quizzes.generators import Material, Passage
from quizzes.generators.terms import key_terms

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", re.S)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: the chunks of a page, with exact offsets."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def material_of(pages: list[str], document_id: int = 1) -> Material:
    """The pages as a generator sees them: one passage per paragraph, and the key terms."""
    passages = [
        Passage(chunk_id=None, document_id=document_id, page_number=number, char_start=start, char_end=end, text=text[start:end])
        for number, text in enumerate(pages, start=1)
        for start, end in paragraph_spans(text)
    ]
    return Material(passages=passages, terms={document_id: key_terms(passages)})

PAGES: list[str] = [
    """Chapter 1: Photosynthesis

Photosynthesis is the process by which green plants convert light energy into chemical energy.
It takes place in the chloroplasts, which contain the green pigment chlorophyll. Chlorophyll
absorbs red and blue light most strongly and reflects green light. The light-dependent reactions
occur in the thylakoid membranes and split water molecules, which releases oxygen as a by-product.
These reactions also produce ATP and NADPH, which carry energy to the next stage.

The Calvin cycle takes place in the stroma of the chloroplast. During the Calvin cycle, the enzyme
rubisco fixes carbon dioxide from the air into organic molecules. The cycle uses the ATP and NADPH
from the light-dependent reactions to build glucose. Stomata are small pores on the underside of
leaves that let carbon dioxide enter and water vapour leave.

Figure 1.1: A chloroplast in cross-section.
Page 1""",
    """Chapter 2: Cellular Respiration

Cellular respiration releases the energy stored in glucose so that cells can use it. Glycolysis
is the first stage and happens in the cytoplasm, where one glucose molecule is split into two
molecules of pyruvate. Mitochondria are the organelles where the remaining stages of aerobic
respiration take place. The Krebs cycle runs in the mitochondrial matrix and releases carbon
dioxide as a waste product.

The electron transport chain is located in the inner mitochondrial membrane. Oxygen is the final
electron acceptor of the chain and combines with hydrogen ions to form water. Aerobic respiration
yields about 36 molecules of ATP for every molecule of glucose. When oxygen is scarce, muscle cells
switch to fermentation, which produces lactic acid and only 2 molecules of ATP.

Page 2""",
    """Chapter 3: DNA and Heredity

DNA is a double helix made of two strands of nucleotides. Each nucleotide contains a phosphate
group, a sugar called deoxyribose and one of four nitrogenous bases. Adenine always pairs with
thymine, and guanine always pairs with cytosine. James Watson and Francis Crick described the
structure of DNA in 1953, using X-ray images taken by Rosalind Franklin.

Gregor Mendel studied inheritance by crossing pea plants in the 1860s. He showed that traits are
passed on by discrete units that we now call genes. A dominant allele masks the effect of a
recessive allele in a heterozygous organism. Meiosis is the cell division that produces gametes
with half the usual number of chromosomes.

References
[1] Watson, J. D. and Crick, F. H. C. (1953). Nature 171, 737-738.
Page 3""",
    """Chapter 4: The French Revolution

The French Revolution began in 1789, when the Estates-General met at Versailles for the first time
since 1614. On 14 July 1789, crowds in Paris stormed the Bastille, a royal fortress and prison.
The National Assembly adopted the Declaration of the Rights of Man and of the Citizen in August
of the same year. King Louis XVI was executed by guillotine in January 1793.

Maximilien Robespierre led the Committee of Public Safety during the Reign of Terror. Thousands
of suspected enemies of the revolution were executed before Robespierre himself was arrested in
1794. Napoleon Bonaparte seized power in a coup in 1799 and later crowned himself emperor in 1804.

Page 4""",
    """Chapter 5: The Industrial Revolution

The Industrial Revolution started in Britain in the second half of the eighteenth century. The
steam engine improved by James Watt made it possible to power factories away from rivers. Textile
production was transformed by machines such as the spinning jenny and the power loom. Coal
provided the fuel for steam engines, and iron was used to build machines, bridges and railways.

The first public railway to use steam locomotives opened between Stockton and Darlington in 1825.
Rapid urbanisation created crowded cities with poor sanitation and frequent epidemics of cholera.
Factory Acts passed by Parliament gradually limited the working hours of children.

Page 5""",
    """Chapter 6: Forces and Motion

Isaac Newton published his three laws of motion in the Principia in 1687. The first law states
that an object remains at rest or in uniform motion unless a net force acts on it. This tendency
to resist changes in motion is called inertia. The second law states that force equals mass times
acceleration. The third law states that every action has an equal and opposite reaction.

Friction is a force that opposes the relative motion of two surfaces in contact. Weight is the
gravitational force that a planet exerts on a mass. On the surface of the Earth, the acceleration
due to gravity is about 9.8 metres per second squared. Momentum is the product of the mass and the
velocity of an object.

Page 6""",
    """Chapter 7: The Periodic Table

Dmitri Mendeleev published the first widely recognised periodic table in 1869. He arranged the
elements by atomic mass and left gaps for elements that had not yet been discovered. The modern
periodic table orders the elements by atomic number, which is the number of protons in the
nucleus. Elements in the same group have the same number of electrons in their outer shell.

The noble gases, such as neon and argon, are very unreactive because their outer shells are full.
The alkali metals, such as sodium and potassium, react vigorously with water to form hydroxides.
Isotopes are atoms of the same element with different numbers of neutrons. Carbon has an atomic
number of 6 and is the basis of organic chemistry.

Page 7""",
    """Chapter 8: Plate Tectonics

The lithosphere is broken into large plates that move slowly over the asthenosphere. Alfred
Wegener proposed the theory of continental drift in 1912, but it was not accepted until the
discovery of sea-floor spreading in the 1960s. At divergent boundaries, plates move apart and new
oceanic crust forms along mid-ocean ridges.

At convergent boundaries, a dense oceanic plate sinks beneath another plate in a process called
subduction. Subduction zones produce deep ocean trenches, volcanic arcs and powerful earthquakes.
The San Andreas Fault in California is a transform boundary where two plates slide past each
other. The Himalayas formed when the Indian plate collided with the Eurasian plate.

Page 8""",
    """Chapter 9: The Water Cycle

The water cycle describes how water moves between the oceans, the atmosphere and the land.
Evaporation turns liquid water from oceans and lakes into water vapour, using energy from the Sun.
Transpiration is the loss of water vapour from the leaves of plants. When moist air rises and
cools, the vapour condenses into tiny droplets that form clouds.

Precipitation returns water to the surface as rain, snow, sleet or hail. Some of this water soaks
into the ground and is stored in porous rocks called aquifers. Runoff carries the rest over the
surface into streams and rivers, which eventually flow back to the sea. Glaciers and ice sheets
store about 69 percent of the fresh water on Earth.

Page 9""",
    """Chapter 10: Ancient Rome

According to legend, Rome was founded by Romulus in 753 BC. The Roman Republic was governed by two
consuls who were elected every year, and by the Senate. Julius Caesar crossed the Rubicon in 49 BC
and started a civil war against the Senate. He was assassinated on the Ides of March in 44 BC.

Augustus became the first Roman emperor in 27 BC and began a long period of stability known as
the Pax Romana. Roman engineers built aqueducts to carry fresh water into cities. Latin, the
language of the Romans, is the ancestor of Italian, French, Spanish and Portuguese. The Western
Roman Empire fell in 476 when the Germanic leader Odoacer deposed the emperor Romulus Augustulus.

Further reading: see the course website.
Page 10""",
]
